import { KeyedCatalog } from './keyed-catalog';
import { json, type Route } from './routes';
import { messageOf } from './server';

/** `/_control/items[/<code>]`: read, add, patch and remove records of a running simulator by hand. */
export function catalogControlRoutes<T extends object>(catalog: KeyedCatalog<T>): Route[] {
  const isRecord = (value: unknown): value is T => typeof value === 'object' && value !== null && !Array.isArray(value);
  return [
    {
      method: 'GET',
      path: '/_control/items/:code',
      handle: ({ params }) => {
        const item = catalog.get(params.code ?? '');
        return item ? json(200, { item }) : json(404, { error: `${params.code} not found` });
      },
    },
    {
      method: 'POST',
      path: '/_control/items',
      handle: ({ body }) => {
        if (!isRecord(body)) return json(400, { error: 'body must be one record' });
        try {
          catalog.add(body);
          return json(201, { item: body });
        } catch (error) {
          return json(409, { error: messageOf(error) });
        }
      },
    },
    {
      method: 'PUT',
      path: '/_control/items/:code',
      handle: ({ params, body }) => {
        if (!isRecord(body)) return json(400, { error: 'body must be the fields to change' });
        try {
          return json(200, { item: catalog.update(params.code ?? '', body) });
        } catch (error) {
          return json(404, { error: messageOf(error) });
        }
      },
    },
    {
      method: 'DELETE',
      path: '/_control/items/:code',
      handle: ({ params }) => {
        try {
          catalog.remove(params.code ?? '');
          return json(200, { removed: params.code });
        } catch (error) {
          return json(404, { error: messageOf(error) });
        }
      },
    },
  ];
}
