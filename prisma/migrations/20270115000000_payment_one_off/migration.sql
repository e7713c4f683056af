-- A payment its provider says belongs to no subscription (Stripe's payment-mode checkout, a Paddle transaction of
-- one-time prices, a Polar purchase): a customer's later subscription that began free opens with its first paid
-- payment, which an earlier payment of unknown kind (a Lemon Squeezy order) would leave a renewal.
ALTER TABLE "conversions" ADD COLUMN "one_off" BOOLEAN NOT NULL DEFAULT false;
