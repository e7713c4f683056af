import type { SqlSession } from '../db/sql';

/** Who made a write: a dashboard user, or an API key (named by its id; its prefix is copied when recorded). */
export type AuditActor = { type: 'user'; userId: string; email: string } | { type: 'api_key'; apiKeyId: string };

export type AuditEntry = { projectId: string; actor: AuditActor; method: string; path: string; status: number; target: string | null; at: Date };

/** Records one write. Actors are copied, not referenced, so the entry outlives the user or key. */
export async function recordAudit(db: SqlSession, e: AuditEntry): Promise<void> {
  const user = e.actor.type === 'user' ? e.actor : null;
  const keyId = e.actor.type === 'api_key' ? e.actor.apiKeyId : null;
  await db.query(
    `INSERT INTO audit_log (project_id, actor_type, actor_user_id, actor_email, api_key_id, api_key_prefix, method, path, status, target, created_at)
     VALUES ($1::uuid, $2, $3::uuid, $4, $5::uuid, (SELECT prefix FROM api_keys WHERE id = $5::uuid), $6, $7, $8, $9, $10::timestamptz)`,
    [e.projectId, e.actor.type, user?.userId ?? null, user?.email ?? null, keyId, e.method, e.path.slice(0, 2048), e.status, e.target?.slice(0, 512) ?? null, e.at],
  );
}
