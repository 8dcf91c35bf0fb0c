import { type PlanOptions, type PlanResult, plan as planApi } from '../../src/api/plan.js';
import { adminUrl } from './database.js';

/**
 * `plan()` as the tests call it: its DDL check runs in a scratch database on the test server (a second
 * or so) rather than on an embedded server of its own; every plan a test makes is proven so.
 */
export const plan = (options: PlanOptions): Promise<PlanResult> => planApi({ ddlCheckUrl: adminUrl(), ...options });
