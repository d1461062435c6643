import { expect } from 'chai';
import type { Response } from 'supertest';

/** Assert the provider's success answer. */
export function expectSuccess(provider: string, res: Response, id: string, duplicate: boolean, requestType?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  if (provider === 'ni') {
    expect(res.body).to.have.all.keys('id', 'type', 'timestamp', 'response');
    expect(res.body.id).to.match(/^\d{12}$/);
    expect(res.body.type).to.equal(requestType);
    expect(res.body.response).to.deep.equal({ status: { code: '00', description: 'successful' } });
    expect(Number.isNaN(Date.parse(res.body.timestamp))).to.equal(false);
  } else if (id.startsWith('sha256:')) {
    expect(res.body).to.include({ received: true, duplicate });
    expect(res.body.id).to.match(/^sha256:[0-9a-f]{64}$/);
  } else {
    expect(res.body).to.deep.equal({ received: true, id, duplicate });
  }
}

/** Assert a rejection in the provider's format with our documented code. */
export function expectRejection(provider: string, res: Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  if (provider === 'ni') {
    expect(res.body.response.status.code).to.not.equal('00');
    expect(res.body.response.status.description).to.equal(code);
    expect(res.body.id).to.match(/^\d{12}$/);
  } else {
    expect(res.body.error.code).to.equal(code);
    expect(res.body.error.message).to.be.a('string');
  }
}
