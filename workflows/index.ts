export { productSync } from './productSync';
export { raiseOrder } from './raiseOrder';
export { pollOrders } from './pollOrders';
export { watchSource } from './watchSource';
export { reviewLateDelivery } from './reviewLateDelivery';
export { pushProducts } from './pushProducts';
