import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { PLAN_FORMAT_VERSION, type Plan, planSchema } from '../planner/plan-schema.js';

export function writePlanFile(plan: Plan, folder: string): string {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${plan.id}.json`);
  fs.writeFileSync(file, `${JSON.stringify(planSchema.parse(plan), null, 2)}\n`);
  return file;
}

/** Read and validate a plan file; anything else is a usage error naming the first problem. */
export function readPlanFile(file: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it is not valid JSON';
    throw new UsageError(`Cannot read the plan file ${file}: ${reason}.`, { cause: error });
  }
  const made = raw as { format?: unknown; version?: unknown } | null;
  if (made?.format === 'uuidmig-plan' && made.version !== PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `The plan file ${file} is in plan format ${String(made.version)}, and this uuidmig reads format ` +
        `${PLAN_FORMAT_VERSION}; make the plan again with this uuidmig (uuidmig plan).`,
    );
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `The plan file ${file} is not a uuidmig plan: ${issue.path.join('.') || 'the file'}: ` +
        `${issue.message.toLowerCase()}.`,
    );
  }
  return parsed.data;
}
