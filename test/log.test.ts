import { expect } from 'chai';
import { maskPhone } from '../src/log.ts';

describe('phone numbers in logs', () => {
  it('when a number is logged, then only its last four digits remain', () => {
    expect(maskPhone('+15555550100')).to.equal('+•••••••0100');
    expect(maskPhone('+15555550100')).to.not.include('555555');
  });

  it('when the caller id is withheld or not a number, then it says so', () => {
    expect(maskPhone('anonymous')).to.equal('withheld');
    expect(maskPhone(undefined)).to.equal(undefined);
  });
});
