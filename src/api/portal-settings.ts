import { Router } from 'express';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { ok } from './envelope';
import type { Operation } from './operation';

/** Refgrow's widget block ids (seeds/refgrow-llm-context.txt, "Widget Blocks"), less its paid multi_tier. */
export const PORTAL_BLOCK_IDS = [
  'header',
  'share_links',
  'coupon_code',
  'stats',
  'daily_stats',
  'earnings',
  'payment_methods',
  'payment_history',
  'commission_levels',
  'promotional_materials',
] as const;
export type PortalBlockId = (typeof PORTAL_BLOCK_IDS)[number];

/** The languages the portal is translated into (issue 16); a merchant's default must be one of them. */
export const PORTAL_LANGUAGES = ['en', 'es', 'fr', 'de', 'pt', 'it', 'nl', 'pl', 'ja', 'zh', 'ar', 'he'] as const;

const color = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, { message: 'must be a hex color such as "#2563eb"' });

/** Refgrow's block configuration format: `{ id, enabled, order }`, plus a block's own options as flat values. */
/** Refgrow's paid block that Refwire has no counterpart for: taken from a pasted Refgrow list while off, never kept. */
const REFGROW_ONLY_BLOCK = 'multi_tier';

const blockField = z
  .object({
    id: z.enum([...PORTAL_BLOCK_IDS, REFGROW_ONLY_BLOCK]),
    enabled: z.boolean(),
    order: z.number().int().min(1).max(100),
    config: z
      .record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
      .refine((c) => Object.keys(c).length <= 20, { message: 'at most 20 options' })
      .optional(),
  })
  .strict();

const blocksField = z
  .array(blockField)
  .max(PORTAL_BLOCK_IDS.length + 1)
  .refine((blocks) => new Set(blocks.map((b) => b.id)).size === blocks.length, { message: 'each block id at most once' })
  .superRefine((blocks, ctx) => {
    const i = blocks.findIndex((b) => b.id === REFGROW_ONLY_BLOCK && b.enabled);
    if (i >= 0) ctx.addIssue({ code: 'custom', path: [i, 'enabled'], message: `${REFGROW_ONLY_BLOCK}: Refwire has no multi-tier (sub-affiliate) commissions, so this block can only be off` });
  })
  .transform((blocks) => blocks.filter((b) => b.id !== REFGROW_ONLY_BLOCK) as PortalBlock[]);

const appearanceField = z
  .object({
    primary_color: color,
    secondary_color: color,
    font_color: color,
    title: z.string().trim().max(200).nullable(),
    description: z.string().trim().max(2000).nullable(),
    hide_branding: z.boolean(),
  })
  .partial()
  .strict();

/** Only http(s): a material's URL becomes a link or an image in the affiliate's page, never a javascript: URL. */
const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http(s) URL' },
  );

const materialField = z
  .object({
    kind: z.enum(['text', 'image', 'link']),
    title: z.string().trim().min(1).max(200),
    body: z.string().trim().max(5000).optional(),
    url: httpUrl.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.kind === 'image' || m.kind === 'link') && !m.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `required for ${m.kind === 'image' ? 'an image' : 'a link'}` });
    if (m.kind === 'text' && !m.body) ctx.addIssue({ code: 'custom', path: ['body'], message: 'required for a text' });
  });

export const portalSettingsBody = z
  .object({
    blocks: blocksField,
    appearance: appearanceField,
    promotional_materials: z.array(materialField).max(50),
    default_language: z.enum(PORTAL_LANGUAGES),
  })
  .partial()
  .strict();

export type PortalBlock = Omit<z.infer<typeof blockField>, 'id'> & { id: PortalBlockId };
export type PortalAppearance = Required<z.infer<typeof appearanceField>>;
export type PromotionalMaterial = z.infer<typeof materialField>;
export type PortalSettingsView = {
  blocks: PortalBlock[];
  appearance: PortalAppearance;
  promotional_materials: PromotionalMaterial[];
  default_language: string;
};

// Refgrow's default order; payment_history is on by default here since Refwire has payouts to show
const DEFAULT_ENABLED: Record<PortalBlockId, boolean> = {
  header: true,
  share_links: true,
  coupon_code: true,
  stats: true,
  daily_stats: true,
  earnings: true,
  payment_methods: true,
  payment_history: true,
  commission_levels: false,
  promotional_materials: false,
};

export const DEFAULT_PORTAL_SETTINGS: PortalSettingsView = {
  blocks: PORTAL_BLOCK_IDS.map((id, i) => ({ id, enabled: DEFAULT_ENABLED[id], order: i + 1 })),
  appearance: { primary_color: '#2563eb', secondary_color: '#64748b', font_color: '#0f172a', title: null, description: null, hide_branding: false },
  promotional_materials: [],
  default_language: 'en',
};

/**
 * Every block, in display order: those the merchant listed as given, any left out after them, off. A stored
 * list from before a new block id existed reads the same way.
 */
function completeBlocks(given: PortalBlock[]): PortalBlock[] {
  const listed = [...given].sort((a, b) => a.order - b.order || PORTAL_BLOCK_IDS.indexOf(a.id) - PORTAL_BLOCK_IDS.indexOf(b.id));
  const last = listed.reduce((max, b) => Math.max(max, b.order), 0);
  const missing = PORTAL_BLOCK_IDS.filter((id) => !listed.some((b) => b.id === id));
  return [...listed, ...missing.map((id, i) => ({ id, enabled: false, order: last + i + 1 }))];
}

/** The project's portal settings, the defaults where it set nothing. */
export async function portalSettingsOf(prisma: Pick<PrismaClient, 'portalSettings'>, projectId: string): Promise<PortalSettingsView> {
  const row = await prisma.portalSettings.findUnique({ where: { projectId } });
  if (!row) return DEFAULT_PORTAL_SETTINGS;
  return {
    blocks: completeBlocks(row.blocks as PortalBlock[]),
    appearance: { ...DEFAULT_PORTAL_SETTINGS.appearance, ...(row.appearance as Partial<PortalAppearance>) },
    promotional_materials: row.promotionalMaterials as PromotionalMaterial[],
    default_language: row.defaultLanguage,
  };
}

/**
 * `GET|PUT /api/v1/portal`: how the affiliate portal looks (PRODUCT.md §13). PUT sets the parts it names and
 * keeps the others; blocks are given as a whole list (those left out are off), appearance field by field.
 */
export function portalSettingsRouter(prisma: PrismaClient): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json(ok(await portalSettingsOf(prisma, projectIdOf(req))));
  });

  router.put('/', async (req, res) => {
    const body = portalSettingsBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const saved = await prisma.$transaction(async (tx) => {
      // the row is read and written under its lock, so two PUTs of different parts both take effect
      await tx.$queryRaw`SELECT 1 FROM projects WHERE id = ${projectId}::uuid FOR UPDATE`;
      const current = await portalSettingsOf(tx, projectId);
      const next: PortalSettingsView = {
        blocks: body.blocks ? completeBlocks(body.blocks) : current.blocks,
        appearance: { ...current.appearance, ...body.appearance },
        promotional_materials: body.promotional_materials ?? current.promotional_materials,
        default_language: body.default_language ?? current.default_language,
      };
      const data = {
        blocks: next.blocks as Prisma.InputJsonArray,
        appearance: next.appearance as Prisma.InputJsonObject,
        promotionalMaterials: next.promotional_materials as Prisma.InputJsonArray,
        defaultLanguage: next.default_language,
      };
      await tx.portalSettings.upsert({ where: { projectId }, create: { projectId, ...data }, update: data });
      return next;
    });
    res.json(ok(saved));
  });

  return router;
}

/** portalSettingsOf's answer (the merchant's settings, and the portal's config). */
export const portalSettingsResponse = z
  .strictObject({
    blocks: z.array(
      z.strictObject({
        id: z.enum(PORTAL_BLOCK_IDS),
        enabled: z.boolean(),
        order: z.number().int(),
        config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      }),
    ),
    appearance: z.strictObject({
      primary_color: z.string(),
      secondary_color: z.string(),
      font_color: z.string(),
      title: z.string().nullable(),
      description: z.string().nullable(),
      hide_branding: z.boolean(),
    }),
    promotional_materials: z.array(
      z.strictObject({ kind: z.enum(['text', 'image', 'link']), title: z.string(), body: z.string().optional(), url: z.string().optional() }),
    ),
    default_language: z.enum(PORTAL_LANGUAGES),
  })
  .meta({ id: 'PortalSettings' });

const base = { tag: 'Affiliate portal', access: 'api_key' as const, path: '/api/v1/portal' };

export const portalSettingsOperations: Operation[] = [
  { ...base, method: 'get', summary: "The portal's blocks, appearance, promotional materials and default language (defaults until set)", response: portalSettingsResponse },
  {
    ...base,
    method: 'put',
    summary: 'Set the portal: Refgrow\'s blocks ({ id, enabled, order, config? }), appearance, promotional materials, default language',
    description:
      `Parts left out stay as they are. blocks: ids among ${PORTAL_BLOCK_IDS.join(', ')}, each at most once; ids left out are off. ` +
      `Refgrow's ${REFGROW_ONLY_BLOCK} is taken while off (a whole Refgrow list can be pasted) and not kept; on, it is refused. ` +
      'promotional_materials: { kind: text | image | link, title, body?, url? } with http(s) URLs only (image and link need url, text needs body).',
    body: portalSettingsBody,
    response: portalSettingsResponse,
  },
];
