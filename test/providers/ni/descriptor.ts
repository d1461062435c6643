import { expect } from 'chai';
import type { ProviderDescriptor } from '../descriptor';
import { bearerCredentials } from '../descriptor';

/** NI's external card id, its token requestor and device type. */
const NI_TOKEN = '52913582186153682368:50110030273:16';
const NI_ID = 'b876d568-8411-4638-bdef-a1a188a4773b';

interface NiAnswer {
  readonly id?: string;
  readonly type?: string;
  readonly response?: { readonly status?: { readonly code?: string; readonly description?: string } };
  readonly errors?: readonly { path: string; message: string }[];
}

/** ISO 8583-style codes NI reads in `response.status.code`: 63 security violation, 30 format error, 96 retry. */
const NI_CODES: Record<number, string> = { 401: '63', 409: '96', 500: '96', 503: '96' };

export const ni: ProviderDescriptor = {
  name: 'ni',
  seedFile: 'network-international-token-notification.txt',
  seedFolders: ['', 'responses'],
  sample: 'sample-request-for-td',
  // Other NI webhook types and undocumented token event indicators are accepted: nothing is refused by value.
  refusedValues: [],
  alsoRequired: [[['details', 'card', 'id'], ['details', 'card', 'maskedCardNumber']]],
  healthCheck: false,
  credentialHeader: 'authorization',
  credentials: (_body, c) => bearerCredentials((c.ni ?? c.bearer)!),
  errorCode: (body) => {
    const answer = body as NiAnswer | undefined;
    return answer?.response?.status?.code === '00' ? undefined : answer?.response?.status?.description;
  },
  issues: (body) => (body as NiAnswer).errors ?? [],
  expectSuccess(res, _id, _duplicate, payload) {
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.have.all.keys('id', 'type', 'timestamp', 'response');
    expect(res.body.id).to.match(/^\d{12}$/);
    expect(res.body.type).to.equal((payload as { type?: string }).type);
    expect(res.body.response).to.deep.equal({ status: { code: '00', description: 'successful' } });
    expect(Number.isNaN(Date.parse(res.body.timestamp))).to.equal(false);
  },
  expectRejection(res, status, code) {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.body.response.status.code).to.equal(NI_CODES[status] ?? '30');
    expect(res.body.response.status.description).to.equal(code);
    expect(res.body.id).to.match(/^\d{12}$/);
  },
  expected: {
    'sample-request-for-tc': { id: NI_ID, type: 'token.active', state: 'ACTIVE', tokenRef: NI_TOKEN, occurredAt: '2022-11-09T11:00:03.000Z', kinds: ['active'] },
    // The AC sample names no device type.
    'sample-request-for-ac': { id: NI_ID, type: 'token.activation_code', tokenRef: '52913582186153682368:50110030273:', activationCode: '1234', kinds: [] },
    'sample-request-for-td': { id: NI_ID, type: 'token.deleted', state: 'DELETED', tokenRef: NI_TOKEN, reason: 'Deactivate', kinds: ['deleted'] },
    'sample-request-for-te': { id: NI_ID, type: 'token.active', state: 'ACTIVE', tokenRef: NI_TOKEN, reason: 'Token resume', kinds: ['active'] },
  },
};
