import { expect } from 'chai';
import { redactText } from '../../lib';

describe('redactText: what log lines may and may not show', () => {
  for (const secret of ['0554873333', '055-487-3333', '+971 55 487 3333', '4111 1111 1111 1111', '4111-1111-1111-1111', '52913582186153682368', 'abcd@gmail.com']) {
    it(`scrubs ${secret.replace(/\d/g, '9')}`, () => {
      const out = redactText(`value ${secret} end`);
      expect(out).to.include('[REDACTED]');
      expect(out).to.not.include(secret);
      if (/\d{7}/.test(secret.replace(/\D/g, ''))) expect(out.replace(/\D/g, '')).to.not.include(secret.replace(/\D/g, '').slice(-7));
    });
  }

  it('keeps UUID-shaped ids readable (NI and TokenEx ids are UUIDs)', () => {
    const id = 'b876d568-8411-4638-bdef-a1a188a4773b';
    expect(redactText(`event ${id} accepted`)).to.equal(`event ${id} accepted`);
  });

  it('keeps timestamps and short numbers', () => {
    expect(redactText('at 2025-07-03T10:30:12 status 200 attempt 3')).to.equal('at 2025-07-03T10:30:12 status 200 attempt 3');
  });
});
