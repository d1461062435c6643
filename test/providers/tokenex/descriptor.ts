import type { ProviderDescriptor } from '../descriptor';
import { bearerCredentials, jsonFormat } from '../descriptor';

export const tokenex: ProviderDescriptor = {
  name: 'tokenex',
  seedFile: 'tokenex-token-state-change-notification.txt',
  seedFolders: [''],
  sample: 'request',
  refusedValues: [['success'], ['networkTokenStateChangeNotification', 'currentTokenState'], ['networkTokenStateChangeNotification', 'previousTokenState']],
  alsoRequired: [[['networkTokenStateChangeNotification']]],
  healthCheck: false,
  credentialHeader: 'authorization',
  credentials: (_body, c) => bearerCredentials(c.bearer!),
  ...jsonFormat,
  expected: {
    request: {
      id: '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', type: 'token.active', state: 'ACTIVE', previousState: 'INACTIVE',
      tokenRef: 'b2b92b5b-403d-4bd8-a756-6e415b86b291', reason: 'The mobile device is stolen.', reasonCode: 'ACTIVATED_BY_ISSUER',
      occurredAt: '2018-04-16T11:58:48.000Z', kinds: ['active'],
    },
  },
};
