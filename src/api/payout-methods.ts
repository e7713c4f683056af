/** How an affiliate is paid (PRODUCT.md §8, issue 8): the affiliate's preference and each payout's method. */
export const PAYOUT_METHODS = ['paypal', 'wise', 'bank_transfer', 'manual'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];
