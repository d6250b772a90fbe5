// Runs once after every suite: drops the run's template database, so a run leaves none behind.
import { tsImport } from "tsx/esm/api";

export default async function globalTeardown() {
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (!template) return;
  const { dropTemplateDatabase } = await tsImport("./database.ts", import.meta.url);
  await dropTemplateDatabase(template);
}
