/** Every API route; app.ts registers them and openapi.ts documents them from this list. */
import type { RouteDef } from '../route.js';
import { detectRoute } from './detect.js';
import { embedRoute } from './embed.js';
import { verifyRoute } from './verify.js';
import { identifyRoute } from './identify.js';
import { listSubjectsRoute, enrollRoute, deleteSubjectRoute } from './subjects.js';
import { deleteFaceRoute } from './faces.js';
import { healthRoute } from './health.js';
import { metricsRoute } from './metrics.js';

export const ROUTES: readonly RouteDef[] = [detectRoute, embedRoute, verifyRoute, identifyRoute, listSubjectsRoute, enrollRoute, deleteSubjectRoute, deleteFaceRoute, healthRoute, metricsRoute];
