import type { ProviderDescriptor } from '../descriptor';
import { bearerCredentials, jsonFormat } from '../descriptor';

export const firstoken: ProviderDescriptor = {
  name: 'firstoken',
  seedFile: 'firstoken-integration-flows.txt',
  seedFolders: [],
  sample: 'suspended',
  refusedValues: [['status']],
  alsoRequired: [[['status']], [['data', 'ft_token']]],
  healthCheck: false,
  credentialHeader: 'authorization',
  credentials: (_body, c) => bearerCredentials(c.bearer!),
  ...jsonFormat,
  expected: {
    active: { id: 'evt_01JABCDEF0000000000000001', type: 'token.active', state: 'ACTIVE', tokenRef: 'ft_7c9e6679f42a4b1d', reason: 'Network token provisioned', occurredAt: '2025-07-03T09:58:09.000Z', kinds: ['active'] },
    suspended: { id: 'evt_01JABCDEF0000000000000002', type: 'token.suspended', state: 'SUSPENDED', tokenRef: 'ft_7c9e6679f42a4b1d', kinds: ['suspended'] },
    'deleted-status-in-data': { id: 'evt_01JABCDEF0000000000000003', type: 'token.deleted', state: 'DELETED', tokenRef: 'ft_7c9e6679f42a4b1d', occurredAt: '2025-07-03T10:30:12.120Z', kinds: ['deleted'] },
    'active-without-event-id': { id: 'sha256:', type: 'token.active', state: 'ACTIVE', tokenRef: 'ft_0b1f2a3c4d5e6f70', occurredAt: '2025-07-04T08:00:00.000Z', kinds: ['active'] },
  },
};
