-- Whether a payment's customer_email was learned from its customer's or subscription's events (a Paddle payment
-- names none) rather than stated by the payment itself: a learned email follows what those events say, in whatever
-- order they arrive. Payments recorded before keep their email as it is.
ALTER TABLE "conversions" ADD COLUMN "email_learned" BOOLEAN NOT NULL DEFAULT false;
