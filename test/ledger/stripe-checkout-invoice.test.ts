import { stripeEvent } from '../helpers/ledger';
import { ledgerStories } from '../helpers/ledger-story';

/**
 * A Checkout payment that also makes an invoice (`invoice_creation`): the invoice's `invoice_payment.paid` names the
 * session's payment intent under the invoice's id, and the invoice's own `invoice.paid` (billing_reason manual) is no
 * subscription payment. A refund of the charge names the payment intent: whichever of the three arrives first, the
 * refund reverses the sale's commission.
 */
const SECRET = 'whsec_checkout_invoice_secret_001';

describe('a Stripe Checkout payment with an invoice, refunded', () => {
  const { story } = ledgerStories();

  // 40.00 paid: 8.00 earned, all of it given back
  const sale = () => stripeEvent('checkout.session.completed.payment.json');
  const invoicePayment = () =>
    stripeEvent('invoice_payment.paid.basil.json', (o) => {
      o.invoice = 'in_1RwFxDemoCheckoutInv1';
      o.payment = { type: 'payment_intent', payment_intent: 'pi_3RwFxDemoPayIntent01' };
      o.amount_paid = 4000;
    });
  const refund = () => stripeEvent('charge.refunded.json', (o) => Object.assign(o, { amount_refunded: 4000, refunded: true }));

  it.each([
    ['sale, invoice payment, refund', () => [sale(), invoicePayment(), refund()]],
    ['invoice payment, sale, refund', () => [invoicePayment(), sale(), refund()]],
    ['invoice payment, refund, sale', () => [invoicePayment(), refund(), sale()]],
    ['refund, invoice payment, sale', () => [refund(), invoicePayment(), sale()]],
    ['sale, refund, invoice payment', () => [sale(), refund(), invoicePayment()]],
  ])('%s: the commission is reversed', async (_label, deliveries) => {
    const { deliver, outcome } = await story('stripe', SECRET);
    for (const payload of deliveries()) await deliver([payload]);
    const { conversions, affiliate } = await outcome();
    expect(conversions.map((c) => [c.kind, c.value_minor]).sort()).toEqual([['purchase', 800], ['refund', -800]]);
    expect(affiliate.total_earnings_minor).toBe(0);
  });
});
