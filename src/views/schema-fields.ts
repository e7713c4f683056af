import { z } from 'zod';

/*
 * The building blocks of the answers' zod schemas (src/api/operation.ts's `response`, described by /openapi.json):
 * the forms every view writes its instants and money in.
 */

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// checked by refinements, which JSON Schema leaves out: the document says the format, not a long pattern

/** An instant as Date#toISOString writes it. */
export const instant = z.string().refine((s) => INSTANT.test(s), 'an ISO 8601 instant in UTC').meta({ format: 'date-time' });

/** A row's id, as PostgreSQL writes a uuid. */
export const uuid = z.string().refine((s) => UUID.test(s), 'a lower-case uuid').meta({ format: 'uuid' });

/** An amount in major units as a decimal string in the currency's decimals ("50.00", "-3.10", JPY "500"). */
export const majorText = z.string().regex(/^-?\d+(\.\d+)?$/).describe('major units as a decimal string, e.g. "50.00"');

/** An exact amount in minor units (cents), an integer. */
export const minor = z.number().int().describe('minor units (e.g. cents), exact: a total past 2^53 is written with all its digits (src/util/exact-json.ts)');
