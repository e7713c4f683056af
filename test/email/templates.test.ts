import { EMAIL_TEMPLATES, escapeHtml, renderEmail, type TemplateData } from '../../src/email/templates';

const SAMPLES: { [T in keyof TemplateData]: TemplateData[T] } = {
  one_time_code: { projectName: 'Acme', code: '004211', purpose: 'sign_in' },
  application_received: {
    projectName: 'Acme',
    applicantName: 'Ada Applicant',
    applicantEmail: 'ada@partners.test',
    website: 'https://ada.test',
    message: 'I review developer tools.\nMy audience: 40k readers.',
    flags: ['disposable email domain', 'applied before'],
    reviewUrl: 'https://refwire.acme.test/dashboard/affiliates/ada%40partners.test',
  },
  application_approved: { projectName: 'Acme', affiliateName: 'Ada', referralCode: 'ADA-42', referralLink: 'https://acme.test/?ref=ADA-42', portalUrl: 'https://refwire.acme.test/portal/p1' },
  application_rejected: { projectName: 'Acme', affiliateName: 'Bob', reason: 'We only work with publishers for now.' },
  affiliate_suspended: { projectName: 'Acme', affiliateName: 'Ann', reason: 'Traffic from a blocked ad network.' },
  affiliate_reactivated: { projectName: 'Acme', affiliateName: 'Ann', referralCode: 'ANN', portalUrl: 'https://refwire.acme.test/portal/p1' },
  payout_completed: { projectName: 'Acme', affiliateName: 'Ada', amountMinor: 250_000n, currency: 'JPY', reference: 'WISE-0099' },
  user_invitation: { projectName: 'Acme', inviterEmail: 'owner@acme.test', role: 'admin', acceptUrl: 'https://refwire.acme.test/dashboard/accept-invitation#token=rwinv_abc', validDays: 7 },
  password_reset: { resetUrl: 'https://refwire.acme.test/dashboard/reset-password#token=rwpr_abc', validMinutes: 60 },
};

describe('email templates', () => {
  it.each(EMAIL_TEMPLATES)('%s renders a subject, a plain-text and an HTML body that say the same', (template) => {
    const r = renderEmail(template, SAMPLES[template] as never);
    expect(r.subject.length).toBeGreaterThan(10);
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.text).not.toMatch(/<[a-z]/i);
    expect(r.html).toMatch(/^<!doctype html>\n<html lang="en">/);
    // every line of the text body (but the quote marks and the signature) is in the HTML too
    for (const line of r.text.split('\n').filter((l) => l.trim() !== '' && l !== '-- ')) {
      const words = line.replace(/^>\s?/, '').replace(/^\s+/, '').split(': ').pop()!;
      expect(r.html).toContain(escapeHtml(words));
    }
  });

  it('the one-time code: the code in the subject and both bodies, ten minutes, the purpose', () => {
    const signIn = renderEmail('one_time_code', SAMPLES.one_time_code);
    expect(signIn.subject).toBe('004211 is your Acme verification code');
    expect(signIn.text).toContain('\n    004211\n');
    expect(signIn.text).toContain('sign in to your Acme affiliate dashboard');
    expect(signIn.text).toContain('valid for 10 minutes');
    expect(signIn.html).toContain('>004211</p>');
    const apply = renderEmail('one_time_code', { projectName: 'Acme', code: '999999', purpose: 'application', validMinutes: 15 });
    expect(apply.text).toContain('confirm your application to the Acme affiliate program');
    expect(apply.text).toContain('valid for 15 minutes');
    for (const code of ['12345', '1234567', 'abcdef', ' 123456']) {
      expect(() => renderEmail('one_time_code', { projectName: 'Acme', code, purpose: 'sign_in' })).toThrow('6 digits');
    }
  });

  it('application received: who applied, their message quoted, the flags, and where to review', () => {
    const r = renderEmail('application_received', SAMPLES.application_received);
    expect(r.subject).toBe('New affiliate application for Acme: Ada Applicant');
    expect(r.text).toContain('Name: Ada Applicant\nEmail: ada@partners.test\nWebsite: https://ada.test\nFlags: disposable email domain, applied before');
    expect(r.text).toContain('> I review developer tools.\n> My audience: 40k readers.');
    expect(r.html).toContain('href="https://refwire.acme.test/dashboard/affiliates/ada%40partners.test"');
  });

  it('application received under auto_approve: says the applicant is already an affiliate, and how to stop them earning', () => {
    const r = renderEmail('application_received', { ...SAMPLES.application_received, autoApproved: true });
    expect(r.subject).toBe('New affiliate for Acme: Ada Applicant');
    expect(r.text).toContain('was approved at once: the program approves applications automatically (auto_approve)');
    expect(r.text).toContain('POST /api/v1/affiliates/:email/suspend');
    expect(r.text).not.toContain('Approve or reject');
  });

  it('approved, rejected with the reason, payout with amount (in the currency\'s own decimals) and reference', () => {
    const approved = renderEmail('application_approved', SAMPLES.application_approved);
    expect(approved.text).toContain('Hello Ada,');
    expect(approved.text).toContain('Your referral code: ADA-42');
    expect(approved.text).toContain('Your referral link: https://acme.test/?ref=ADA-42');
    const rejected = renderEmail('application_rejected', SAMPLES.application_rejected);
    expect(rejected.text).toContain('> We only work with publishers for now.');
    expect(renderEmail('application_rejected', { projectName: 'Acme', reason: null }).text).not.toContain('reason');
    const payout = renderEmail('payout_completed', SAMPLES.payout_completed);
    expect(payout.subject).toBe('Your Acme payout of 250000 JPY was sent');
    expect(payout.text).toContain('Amount: 250000 JPY\nReference: WISE-0099');
    expect(renderEmail('payout_completed', { projectName: 'Acme', amountMinor: 1_050n, currency: 'usd', reference: null }).text).toContain('Amount: 10.50 USD\n');
  });

  it('dashboard invitation and password reset: who invited, the role, the one-time link and how long it lasts', () => {
    const invitation = renderEmail('user_invitation', SAMPLES.user_invitation);
    expect(invitation.subject).toBe("You're invited to the Acme affiliate dashboard");
    expect(invitation.text).toContain('owner@acme.test invited you to the Acme affiliate program\'s dashboard on Refwire, as an admin.');
    expect(invitation.text).toContain('Accept the invitation: https://refwire.acme.test/dashboard/accept-invitation#token=rwinv_abc');
    expect(invitation.text).toContain('valid for 7 days and works once');
    expect(invitation.html).toContain('href="https://refwire.acme.test/dashboard/accept-invitation#token=rwinv_abc"');
    const reset = renderEmail('password_reset', SAMPLES.password_reset);
    expect(reset.subject).toBe('Reset your Refwire dashboard password');
    expect(reset.text).toContain('Choose a new password: https://refwire.acme.test/dashboard/reset-password#token=rwpr_abc');
    expect(reset.text).toContain('valid for 60 minutes and works once');
    expect(() => renderEmail('password_reset', { resetUrl: 'javascript:alert(1)', validMinutes: 60 })).toThrow('http(s) URL');
  });

  it('escapes everything it is given; only http(s) URLs become links; a value cannot add lines to a subject', () => {
    const r = renderEmail('application_rejected', { projectName: 'Acme "Tools" & Co', affiliateName: "O'Brien <img src=x>", reason: '</blockquote><script>x()</script>' });
    expect(r.html).toContain('Acme &quot;Tools&quot; &amp; Co');
    expect(r.html).toContain('Hello O&#39;Brien &lt;img src=x&gt;,');
    expect(r.html).toContain('&lt;/blockquote&gt;&lt;script&gt;x()&lt;/script&gt;');
    expect(r.html).not.toMatch(/<script|<img/);
    const links = renderEmail('application_approved', { projectName: 'Acme', referralCode: 'A', referralLink: 'javascript:alert(1)', portalUrl: 'https://x.test/"><script>' });
    expect(links.html).not.toContain('javascript:');
    expect(links.html).toContain('href="https://x.test/%22%3E%3Cscript%3E"');
    const subject = renderEmail('application_received', { ...SAMPLES.application_received, applicantName: 'Eve\r\nBcc: victim@x.test' });
    expect(subject.subject).toBe('New affiliate application for Acme: Eve Bcc: victim@x.test');
    expect(subject.text).toContain('Name: Eve Bcc: victim@x.test\n');
  });
});
