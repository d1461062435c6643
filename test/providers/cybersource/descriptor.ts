import type { ProviderDescriptor } from '../descriptor';
import { cybersourceSignature, jsonFormat } from '../descriptor';
import { CYBERSOURCE_KEY, CYBERSOURCE_KEY_ID } from '../../helpers/cybersource';

export const cybersource: ProviderDescriptor = {
  name: 'cybersource',
  seedFile: 'cybersource-tms-network-token-notifications.txt',
  seedFolders: [''],
  sample: 'network-token-suspended',
  // Unknown event types, reasons and link states are accepted (recorded, no state change): nothing is refused by value.
  refusedValues: [],
  alsoRequired: [],
  healthCheck: true,
  credentialHeader: 'v-c-signature',
  secret: { keyId: CYBERSOURCE_KEY_ID, key: CYBERSOURCE_KEY },
  credentials: (body, c) => ({ 'v-c-signature': cybersourceSignature(body, c.cybersource!, c.now?.()) }),
  ...jsonFormat,
  expected: {
    'network-token-provisioned': { id: '3904693A51027574XXXXAF598E0AA195', type: 'token.active', state: 'ACTIVE', tokenRef: '38F377C4044F251AE06XXXX98E0A8B67', reason: 'PROVISIONED', occurredAt: '2025-07-03T09:58:09.000Z', kinds: ['active'] },
    'network-token-status-updated': { id: '2EE7067B2F015632E0631E588E0A1987', type: 'token.deleted', state: 'DELETED', tokenRef: '2E8B371F931C4B9BE0631D588D0AF123', reason: 'TOKEN_STATUS_UPDATED', occurredAt: '2025-02-24T16:46:27.000Z', kinds: ['deleted'] },
    'network-token-suspended': { id: '3904B9E29F574360xxxxAF598E0AB766', type: 'token.suspended', state: 'SUSPENDED', tokenRef: '38F377C4044F25XXXX63AF598E0A8B67', reason: 'TOKEN_STATUS_UPDATED', kinds: ['suspended'] },
    'network-token-deleted': { id: '3904CA019A3A55F9E063AFXXXX0A8356', type: 'token.deleted', state: 'DELETED', tokenRef: '38F377C4044F251AE063XXXX8E0A8B67', kinds: ['deleted'] },
    'network-token-activated': { id: '3904DXXXXC6D597AE06XXXX98E0A6B8C', type: 'token.active', state: 'ACTIVE', tokenRef: '3904CA019F035XXXX063AF598E0A8356', kinds: ['active'] },
    'network-token-card-updated': { id: '2F3AC2D2450BB025E06XXXX98E0AF0CA', type: 'token.updated', tokenRef: '2F1F09A14C7E3XXXX063AF598E0A5151', reason: 'CARD_UPDATED', changes: ['card'], kinds: ['updated'] },
    'network-token-updated': { id: '3904CA019A3A55F9E063AF598E0A8356', type: 'token.active', state: 'ACTIVE', tokenRef: '38F377C4044F251AE063AF598E0A8B67', reason: 'TOKEN_UPDATED', changes: ['status', 'expiry'], kinds: ['active', 'updated'] },
    'network-token-expiration-updated': { id: '4B7FB81DA338515FE063AF598E0AD417', type: 'token.updated', tokenRef: '4B7FB756657A1B9FE063AF598E0AE530', reason: 'TOKEN_EXPIRY_UPDATED', changes: ['expiry'], occurredAt: '2026-02-23T14:40:45.000Z', kinds: ['updated'] },
    // Cybersource's "metadata updated" example carries reason TOKEN_EXPIRY_UPDATED and the same id as the expiry example.
    'network-token-metadata-updated': { id: '4B7FB81DA338515FE063AF598E0AD417', type: 'token.updated', tokenRef: '4B7FB756657A1B9FE063AF598E0AE530', reason: 'TOKEN_EXPIRY_UPDATED', changes: ['expiry'], kinds: ['updated'] },
    redigitization: { id: '4BBA5FF1292594B4E063AF598E0AAA66', type: 'token.updated', tokenRef: '4BBA5FF1272C94B4E063AF598E0AAA66', reason: 'REDIGITILIZATION', changes: ['redigitalization'], kinds: ['updated'] },
  },
};
