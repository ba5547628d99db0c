/**
 * The names of the engine's own Prometheus metrics, beside the SDK's `temporal_…`: the one place that
 * names them (activities/metrics.ts records the activities' ones, workflows/pass-metrics.ts the passes').
 * Importable by workflow code: nothing here touches Node or an activity's context.
 */
export const ENGINE_METRICS = {
  productsRead: { name: 'engine_products_read', unit: 'records', description: 'Product records read from the source' },
  productsPushed: { name: 'engine_products_pushed', unit: 'records', description: 'Changed products pushed to Stock2Shop' },
  productsInvalid: { name: 'engine_products_invalid', unit: 'records', description: 'Product records that failed validation or that Stock2Shop refused' },
  ordersRaised: { name: 'engine_orders_raised', unit: 'orders', description: 'Orders raised in the source' },
  ordersNeedingAttention: { name: 'engine_orders_needing_attention', unit: 'orders', description: 'Orders that came to need a person' },
  sourceReachable: { name: 'engine_source_reachable', unit: '', description: '1 when the source answered the latest call, 0 when it did not' },
  productPasses: { name: 'engine_product_passes', unit: 'passes', description: 'Product passes that ended, by outcome (completed, failed, skipped)' },
  passEndedAt: {
    name: 'engine_product_pass_ended_timestamp_seconds',
    unit: 'seconds',
    description: 'When the latest product pass that ended with this outcome ended (Unix time)',
  },
} as const;

/** How a product pass ended (`engine_product_passes{outcome}`): a pass that continues as new has not ended. */
export type PassOutcome = 'completed' | 'failed' | 'skipped';
