/**
 * PRODUCT.md §11: no amount Refwire takes — API input or provider event — exceeds 10^15 minor units (ten trillion
 * dollars): far beyond any real payment, and small enough that sums of millions of them stay within a bigint and
 * that each is exact as a JSON number (below 2^53).
 */
export const MAX_AMOUNT_MINOR = 10n ** 15n;
