/** `'sync'`: a delivery is acknowledged once its handlers completed; `'inbox'`: once stored, a worker runs them. */
export type DeliveryMode = 'sync' | 'inbox';
