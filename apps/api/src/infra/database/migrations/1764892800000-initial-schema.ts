import {
  Table,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/**
 * Creates the whole schema. It is written with the Table API so that one migration serves MySQL,
 * MariaDB and SQLite; timestamp types come from the driver, as the entities' date columns do.
 */
export class InitialSchema1764892800000 implements MigrationInterface {
  name = 'InitialSchema1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new ColumnFactory(queryRunner);

    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          c.id(),
          c.varchar('name', 120),
          c.varchar('email', 254),
          c.varchar('password_hash', 100),
          c.varchar('role', 16),
          c.boolean('disabled', false),
          c.int('token_version', { default: 0 }),
          c.createdAt(),
          c.updatedAt(),
        ],
        indices: [new TableIndex({ name: 'UQ_users_email', columnNames: ['email'], isUnique: true })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          c.id(),
          c.varchar('user_id', 36),
          c.varchar('name', 120),
          c.varchar('hash', 64),
          c.varchar('prefix', 16),
          c.text('scopes'),
          c.datetime('expires_at'),
          c.datetime('last_used_at'),
          c.datetime('revoked_at'),
          c.createdAt(),
        ],
        indices: [
          new TableIndex({ name: 'UQ_api_tokens_hash', columnNames: ['hash'], isUnique: true }),
          new TableIndex({ name: 'IDX_api_tokens_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [c.foreignKey('FK_api_tokens_user', 'user_id', 'users', 'CASCADE')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'nodes',
        columns: [
          c.id(),
          c.varchar('name', 120),
          c.varchar('host', 255, { default: "''" }),
          c.text('labels'),
          c.varchar('version', 40, { default: "''" }),
          c.varchar('os', 120, { default: "''" }),
          c.varchar('status', 16, { default: "'offline'" }),
          c.datetime('last_seen_at'),
          c.varchar('credential_hash', 64, { isNullable: true }),
          c.createdAt(),
          c.updatedAt(),
        ],
        indices: [
          new TableIndex({ name: 'UQ_nodes_name', columnNames: ['name'], isUnique: true }),
          new TableIndex({ name: 'IDX_nodes_status', columnNames: ['status'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'enrollment_tokens',
        columns: [
          c.id(),
          c.varchar('name', 120),
          c.varchar('hash', 64),
          c.varchar('prefix', 16),
          c.text('labels'),
          c.int('max_uses', { isNullable: true }),
          c.int('uses', { default: 0 }),
          c.datetime('expires_at'),
          c.datetime('revoked_at'),
          c.varchar('created_by', 36, { isNullable: true }),
          c.createdAt(),
        ],
        indices: [new TableIndex({ name: 'UQ_enrollment_tokens_hash', columnNames: ['hash'], isUnique: true })],
        foreignKeys: [c.foreignKey('FK_enrollment_tokens_creator', 'created_by', 'users', 'SET NULL')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'tasks',
        columns: [
          c.id(),
          c.varchar('name', 120),
          c.varchar('description', 1000, { default: "''" }),
          c.varchar('kind', 16),
          c.text('config'),
          c.createdAt(),
          c.updatedAt(),
        ],
        indices: [
          new TableIndex({ name: 'UQ_tasks_name', columnNames: ['name'], isUnique: true }),
          new TableIndex({ name: 'IDX_tasks_kind', columnNames: ['kind'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'pipelines',
        columns: [
          c.id(),
          c.varchar('name', 120),
          c.varchar('description', 1000, { default: "''" }),
          c.varchar('cron', 200),
          c.varchar('timezone', 64, { default: "'UTC'" }),
          c.boolean('enabled', true),
          c.varchar('mode', 8, { default: "'all'" }),
          c.varchar('overlap', 8, { default: "'skip'" }),
          c.varchar('misfire', 16, { default: "'skip'" }),
          c.int('timeout_seconds', { default: 0 }),
          c.varchar('on_success_task_id', 36, { isNullable: true }),
          c.varchar('on_failure_task_id', 36, { isNullable: true }),
          c.text('node_selector', { isNullable: true }),
          c.int('version', { default: 1 }),
          c.createdAt(),
          c.updatedAt(),
        ],
        indices: [
          new TableIndex({ name: 'UQ_pipelines_name', columnNames: ['name'], isUnique: true }),
          new TableIndex({ name: 'IDX_pipelines_enabled', columnNames: ['enabled'] }),
          new TableIndex({ name: 'IDX_pipelines_on_success_task', columnNames: ['on_success_task_id'] }),
          new TableIndex({ name: 'IDX_pipelines_on_failure_task', columnNames: ['on_failure_task_id'] }),
        ],
        foreignKeys: [
          c.foreignKey('FK_pipelines_on_success_task', 'on_success_task_id', 'tasks', 'RESTRICT'),
          c.foreignKey('FK_pipelines_on_failure_task', 'on_failure_task_id', 'tasks', 'RESTRICT'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'pipeline_steps',
        columns: [
          c.id(),
          c.varchar('pipeline_id', 36),
          c.int('position'),
          c.varchar('task_id', 36),
          c.int('timeout_seconds', { default: 0 }),
          c.int('retries', { default: 0 }),
          c.int('retry_interval_seconds', { default: 0 }),
          c.varchar('retry_backoff', 16, { default: "'fixed'" }),
          c.varchar('on_failure', 16, { default: "'stop'" }),
          c.varchar('run_as_user', 64, { isNullable: true }),
          c.varchar('working_directory', 1024, { isNullable: true }),
          c.text('env'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_pipeline_steps_position',
            columnNames: ['pipeline_id', 'position'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_pipeline_steps_task', columnNames: ['task_id'] }),
        ],
        foreignKeys: [
          c.foreignKey('FK_pipeline_steps_pipeline', 'pipeline_id', 'pipelines', 'CASCADE'),
          c.foreignKey('FK_pipeline_steps_task', 'task_id', 'tasks', 'RESTRICT'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'pipeline_nodes',
        columns: [
          { ...c.varchar('pipeline_id', 36), isPrimary: true, primaryKeyConstraintName: 'PK_pipeline_nodes' },
          { ...c.varchar('node_id', 36), isPrimary: true, primaryKeyConstraintName: 'PK_pipeline_nodes' },
        ],
        indices: [new TableIndex({ name: 'IDX_pipeline_nodes_node', columnNames: ['node_id'] })],
        foreignKeys: [
          c.foreignKey('FK_pipeline_nodes_pipeline', 'pipeline_id', 'pipelines', 'CASCADE'),
          c.foreignKey('FK_pipeline_nodes_node', 'node_id', 'nodes', 'CASCADE'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'runs',
        columns: [
          c.id(),
          c.varchar('pipeline_id', 36, { isNullable: true }),
          c.varchar('pipeline_name', 120),
          c.int('pipeline_version'),
          c.varchar('node_id', 36, { isNullable: true }),
          c.varchar('node_name', 120),
          c.varchar('trigger', 16),
          c.varchar('triggered_by', 200, { isNullable: true }),
          c.datetime('scheduled_at', false),
          c.datetime('started_at', false),
          c.datetime('finished_at'),
          c.varchar('status', 16),
          c.varchar('exit_summary', 1000, { isNullable: true }),
          c.createdAt(),
        ],
        indices: [
          new TableIndex({ name: 'IDX_runs_started', columnNames: ['started_at'] }),
          new TableIndex({ name: 'IDX_runs_pipeline_started', columnNames: ['pipeline_id', 'started_at'] }),
          new TableIndex({ name: 'IDX_runs_node_started', columnNames: ['node_id', 'started_at'] }),
          new TableIndex({ name: 'IDX_runs_status_started', columnNames: ['status', 'started_at'] }),
        ],
        foreignKeys: [
          c.foreignKey('FK_runs_pipeline', 'pipeline_id', 'pipelines', 'SET NULL'),
          c.foreignKey('FK_runs_node', 'node_id', 'nodes', 'SET NULL'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'step_runs',
        columns: [
          c.id(),
          c.varchar('run_id', 36),
          c.int('position'),
          c.varchar('role', 16, { default: "'step'" }),
          c.text('task_snapshot'),
          c.int('attempts', { default: 0 }),
          c.varchar('status', 16),
          c.int('exit_code', { isNullable: true }),
          c.int('http_status', { isNullable: true }),
          c.varchar('error_message', 1000, { isNullable: true }),
          c.datetime('started_at'),
          c.datetime('finished_at'),
          { name: 'output_bytes', type: 'bigint', default: 0 },
          { name: 'dropped_bytes', type: 'bigint', default: 0 },
          c.boolean('truncated', false),
        ],
        indices: [
          new TableIndex({ name: 'UQ_step_runs_position', columnNames: ['run_id', 'position'], isUnique: true }),
        ],
        foreignKeys: [c.foreignKey('FK_step_runs_run', 'run_id', 'runs', 'CASCADE')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'step_logs',
        columns: [
          { ...c.varchar('step_run_id', 36), isPrimary: true, primaryKeyConstraintName: 'PK_step_logs' },
          { ...c.int('sequence'), isPrimary: true, primaryKeyConstraintName: 'PK_step_logs' },
          c.varchar('stream', 8),
          c.text('chunk'),
        ],
        foreignKeys: [c.foreignKey('FK_step_logs_step_run', 'step_run_id', 'step_runs', 'CASCADE')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          c.id(),
          c.varchar('actor_kind', 8),
          c.varchar('actor_id', 36, { isNullable: true }),
          c.varchar('actor_name', 254),
          c.varchar('action', 64),
          c.varchar('entity_type', 32),
          c.varchar('entity_id', 64, { isNullable: true }),
          c.text('before', { isNullable: true }),
          c.text('after', { isNullable: true }),
          c.varchar('ip', 64, { isNullable: true }),
          c.varchar('user_agent', 255, { isNullable: true }),
          c.createdAt(),
        ],
        indices: [
          new TableIndex({ name: 'IDX_audit_events_created', columnNames: ['created_at'] }),
          new TableIndex({ name: 'IDX_audit_events_actor', columnNames: ['actor_id', 'created_at'] }),
          new TableIndex({ name: 'IDX_audit_events_entity', columnNames: ['entity_type', 'entity_id', 'created_at'] }),
          new TableIndex({ name: 'IDX_audit_events_action', columnNames: ['action', 'created_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'settings',
        columns: [{ ...c.varchar('key', 64), isPrimary: true }, c.text('value'), c.updatedAt()],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tables = [
      'settings',
      'audit_events',
      'step_logs',
      'step_runs',
      'runs',
      'pipeline_nodes',
      'pipeline_steps',
      'pipelines',
      'tasks',
      'enrollment_tokens',
      'nodes',
      'api_tokens',
      'users',
    ];
    for (const table of tables) {
      await queryRunner.dropTable(table);
    }
  }
}

/** Builds column definitions that match what TypeORM derives from the entities on every driver. */
class ColumnFactory {
  private readonly mapped: QueryRunner['connection']['driver']['mappedDataTypes'];
  private readonly sqlite: boolean;

  constructor(queryRunner: QueryRunner) {
    this.mapped = queryRunner.connection.driver.mappedDataTypes;
    this.sqlite = queryRunner.connection.options.type === 'better-sqlite3';
  }

  id(): TableColumnOptions {
    return { name: 'id', type: 'varchar', length: '36', isPrimary: true };
  }

  varchar(name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'varchar', length: String(length), ...extra };
  }

  text(name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'text', ...extra };
  }

  int(name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.sqlite ? 'integer' : 'int', ...extra };
  }

  boolean(name: string, fallback: boolean): TableColumnOptions {
    // Written as 1/0: both MySQL's tinyint and SQLite's boolean take it, and the schema diff agrees.
    return { name, type: 'boolean', default: fallback ? 1 : 0 };
  }

  datetime(name: string, nullable = true): TableColumnOptions {
    return { name, type: 'datetime', precision: 3, isNullable: nullable };
  }

  createdAt(): TableColumnOptions {
    return this.timestamp(
      'created_at',
      this.mapped.createDate,
      this.mapped.createDatePrecision,
      this.mapped.createDateDefault,
    );
  }

  updatedAt(): TableColumnOptions {
    const column = this.timestamp(
      'updated_at',
      this.mapped.updateDate,
      this.mapped.updateDatePrecision,
      this.mapped.updateDateDefault,
    );

    // MySQL keeps the column current by itself, as TypeORM's @UpdateDateColumn declares there.
    return this.sqlite ? column : { ...column, onUpdate: String(this.mapped.updateDateDefault) };
  }

  foreignKey(
    name: string,
    column: string,
    table: string,
    onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT',
  ): TableForeignKey {
    return new TableForeignKey({
      name,
      columnNames: [column],
      referencedTableName: table,
      referencedColumnNames: ['id'],
      onDelete,
      onUpdate: 'NO ACTION',
    });
  }

  private timestamp(name: string, type: unknown, precision: number | undefined, fallback: unknown): TableColumnOptions {
    return {
      name,
      type: String(type),
      ...(precision === undefined ? {} : { precision }),
      default: typeof fallback === 'string' ? fallback : undefined,
    };
  }
}
