-- What leaves Temporal holds codes and the engine's own words, or is sealed with the connection's key
-- (store/sealed-problems.ts): a source's message may quote a customer. A problem keeps its reason
-- whole only in sealed_reason (AES-256-GCM with the connection's key ring; opened by `cli problems`);
-- reason holds the engine's words. Alert episodes hold engine words only (store/alert-episodes.ts).
ALTER TABLE problems ADD COLUMN sealed_reason text;

-- Rows written before kept the source's words in plain: replaced by the engine's (an order's reason is
-- in its workflow, `order status`; the next pass records a product's again, sealed).
UPDATE problems
   SET reason = CASE
     WHEN kind = 'order' THEN format('needs a person: `npm run cli -- order status %s %s` says why', connection_id, code)
     WHEN reason LIKE 'refused by Stock2Shop: %' THEN 'refused by Stock2Shop'
     ELSE 'rejected by validation'
   END;

UPDATE alert_episodes
   SET message = format('%s: %s; `npm run cli -- status %s` says more', replace(kind, '_', ' '), subject, connection_id),
       recovery_message = CASE WHEN recovery_message IS NULL THEN NULL
         ELSE format('%s: %s; `npm run cli -- status %s` says more', replace(kind, '_', ' '), subject, connection_id) END;
