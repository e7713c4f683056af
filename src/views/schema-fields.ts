import { z } from 'zod';

/*
 * The building blocks of the answers' zod schemas (src/api/operation.ts's `response`, described by /openapi.json):
 * the forms every view writes its instants and money in.
 */

/** An instant as Date#toISOString writes it. */
export const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/).meta({ format: 'date-time' });

/** An amount in major units as a decimal string in the currency's decimals ("50.00", "-3.10", JPY "500"). */
export const majorText = z.string().regex(/^-?\d+(\.\d+)?$/).describe('major units as a decimal string, e.g. "50.00"');

/** An exact amount in minor units (cents), an integer. */
export const minor = z.number().int().describe('minor units (e.g. cents), exact');
