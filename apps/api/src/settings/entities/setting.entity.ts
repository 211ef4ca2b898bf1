import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One instance setting; values of secret settings are stored encrypted. */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Column({ type: 'simple-json' })
  value!: unknown;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
