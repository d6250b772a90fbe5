import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from "@opentelemetry/semantic-conventions";
import type { AliasNode, CompiledQuery, DatabaseConnection, Dialect, Driver, OperationNode, QueryResult, TableNode, TransactionSettings } from "kysely";
import { tracer } from "../platform/tracer.js";

/** The statement each kind of query Kysely builds is. */
const OPERATIONS: Partial<Record<string, string>> = {
  SelectQueryNode: "SELECT",
  InsertQueryNode: "INSERT",
  UpdateQueryNode: "UPDATE",
  DeleteQueryNode: "DELETE",
  MergeQueryNode: "MERGE",
};

/** tableNamed is the table a FROM, INTO or UPDATE item names, when it is one (aliased or not). */
function tableNamed(node: OperationNode | undefined): string | undefined {
  const table = node?.kind === "AliasNode" ? (node as AliasNode).node : node;
  return table?.kind === "TableNode" ? (table as TableNode).table.identifier.name : undefined;
}

/** targetOf is the one table a query reads or writes, when it names exactly one. */
function targetOf(query: CompiledQuery["query"]): string | undefined {
  switch (query.kind) {
    case "SelectQueryNode":
    case "DeleteQueryNode":
      return query.from?.froms.length === 1 ? tableNamed(query.from.froms[0]) : undefined;
    case "InsertQueryNode":
    case "MergeQueryNode":
      return tableNamed(query.into);
    case "UpdateQueryNode":
      return tableNamed(query.table);
    default:
      return undefined;
  }
}

/**
 * describe names a query's span and says what it does, from the query Kysely built, or the first
 * word of raw SQL. The statement's text has placeholders ($1…) where values go; the values bound
 * to them are never read.
 */
function describe(compiled: CompiledQuery): { name: string; attributes: Attributes } {
  const operation = OPERATIONS[compiled.query.kind] ?? /^\s*([a-z]+)/i.exec(compiled.sql)?.[1]?.toUpperCase();
  const table = targetOf(compiled.query);
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL, [ATTR_DB_QUERY_TEXT]: compiled.sql };
  if (operation) attributes[ATTR_DB_OPERATION_NAME] = operation;
  if (table) attributes[ATTR_DB_COLLECTION_NAME] = table;
  return { name: [operation, table].filter(Boolean).join(" ") || DB_SYSTEM_NAME_VALUE_POSTGRESQL, attributes };
}

/** failed marks a span as failed by its SQLSTATE, never by the error's text: Postgres quotes the values it refused. */
function failed(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | undefined)?.code;
  const sqlState = typeof code === "string" ? code : undefined;
  if (sqlState) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, sqlState);
  span.setAttribute(ATTR_ERROR_TYPE, sqlState ?? (error instanceof Error ? error.name : "_OTHER"));
  span.setStatus({ code: SpanStatusCode.ERROR, ...(sqlState && { message: sqlState }) });
}

/**
 * querySpan starts a client span for a statement in the active context, or none when nothing is
 * traced there: a query outside a traced call or job (the job pollers, start-up, metrics scrapes)
 * would otherwise make a trace of its own, every poll.
 */
function querySpan(what: () => { name: string; attributes: Attributes }): Span | undefined {
  const parent = context.active();
  if (!trace.getSpan(parent)) return undefined;
  const { name, attributes } = what();
  return tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
}

/** traced runs one statement in a span of its own (see querySpan). */
async function traced<T>(what: () => { name: string; attributes: Attributes }, work: () => Promise<T>): Promise<T> {
  const span = querySpan(what);
  if (!span) return work();
  try {
    return await work();
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** transactionStep describes BEGIN, COMMIT or ROLLBACK, which the driver sends itself. */
const transactionStep = (operation: string) => () => ({
  name: operation,
  attributes: { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL, [ATTR_DB_OPERATION_NAME]: operation },
});

/** TracedConnection runs its statements on the driver's connection, each in a span. */
class TracedConnection implements DatabaseConnection {
  constructor(readonly connection: DatabaseConnection) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return traced(
      () => describe(compiledQuery),
      () => this.connection.executeQuery<R>(compiledQuery),
    );
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const span = querySpan(() => describe(compiledQuery));
    try {
      yield* this.connection.streamQuery<R>(compiledQuery, chunkSize);
    } catch (error) {
      if (span) failed(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }
}

/** driverOf is the driver's own connection behind a traced one: drivers recognise only theirs (to release it, or to run BEGIN). */
const driverOf = (connection: DatabaseConnection) => (connection instanceof TracedConnection ? connection.connection : connection);

/** TracedDriver hands out traced connections over the driver's own and traces the transaction steps it sends. */
class TracedDriver implements Driver {
  private readonly traced = new WeakMap<DatabaseConnection, TracedConnection>();
  readonly savepoint?: Driver["savepoint"];
  readonly rollbackToSavepoint?: Driver["rollbackToSavepoint"];
  readonly releaseSavepoint?: Driver["releaseSavepoint"];

  constructor(private readonly driver: Driver) {
    // Kysely asks whether a driver has savepoints: only the driver's own are passed on.
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = driver;
    if (savepoint) this.savepoint = (connection, name, compile) => savepoint.call(driver, driverOf(connection), name, compile);
    if (rollbackToSavepoint) this.rollbackToSavepoint = (connection, name, compile) => rollbackToSavepoint.call(driver, driverOf(connection), name, compile);
    if (releaseSavepoint) this.releaseSavepoint = (connection, name, compile) => releaseSavepoint.call(driver, driverOf(connection), name, compile);
  }

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.driver.acquireConnection();
    let traced = this.traced.get(connection);
    if (!traced) this.traced.set(connection, (traced = new TracedConnection(connection)));
    return traced;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return traced(transactionStep("BEGIN"), () => this.driver.beginTransaction(driverOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return traced(transactionStep("COMMIT"), () => this.driver.commitTransaction(driverOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return traced(transactionStep("ROLLBACK"), () => this.driver.rollbackTransaction(driverOf(connection)));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(driverOf(connection));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}

/**
 * tracedDialect is dialect with a client span for every statement its connections run, Postgres
 * (pg) and PGlite alike: `db.system.name` postgresql, `db.operation.name`, the table, and the
 * statement's text with placeholders, never the values bound to them. Spans are made only within a
 * traced call or job; with tracing off they are the API's no-op ones.
 */
export function tracedDialect(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new TracedDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
