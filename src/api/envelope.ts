import { z } from 'zod';

export const paginationQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
};

/** Refgrow's list envelope. */
export function page<T>(data: T[], limit: number, offset: number, total: number) {
  return { success: true as const, data, pagination: { limit, offset, total, has_more: offset + data.length < total } };
}

export function ok<T>(data: T) {
  return { success: true as const, data };
}
