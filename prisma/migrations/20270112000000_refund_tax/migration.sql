-- The tax within a refund, when the provider says (Paddle's adjustments): the commission, computed on the payment's
-- base (tax excluded), is reversed by the refund's untaxed share of that base. Null: the refund's share of the gross.
ALTER TABLE "refund_observations" ADD COLUMN "tax_minor" BIGINT;
