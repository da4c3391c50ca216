/** `rkt image list`: rkt's columns ID NAME IMPORT TIME LAST USED SIZE LATEST, sortable, or JSON. */
import type { Command } from 'commander';
import { RktError } from '../../../errors/rkt-error.js';
import type { ImageRecord } from '../../../store/image-index.js';
import { listImages } from '../../../stage0/inspect-images.js';
import { formatImageId } from '../../../stage0/resolve-stored-image.js';
import { addGlobalOptions } from '../../global-options.js';
import { parseOutputFormat, renderJson } from '../../render/output-format.js';
import { renderTable } from '../../render/table.js';
import { formatAgo, formatRktTime } from '../../render/time.js';
import { formatBytes } from '../../render/format-bytes.js';
import { globalsOf } from '../command-context.js';

const FIELDS = ['id', 'name', 'importtime', 'lastused', 'size', 'latest'] as const;
type Field = (typeof FIELDS)[number];
const LEGEND: Record<Field, string> = { id: 'ID', name: 'NAME', importtime: 'IMPORT TIME', lastused: 'LAST USED', size: 'SIZE', latest: 'LATEST' };

interface ListOptions {
  fields: string;
  sort: string;
  order: string;
  full?: boolean;
  legend: boolean;
  format?: string;
}

function parseFields(value: string, flag: string): Field[] {
  const fields = value.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  for (const field of fields) {
    if (!(FIELDS as readonly string[]).includes(field)) {
      throw new RktError('usage', 'ERR_IMAGE_LIST_FIELD', `${flag}: unknown field "${field}"`, { hint: `fields: ${FIELDS.join(', ')}` });
    }
  }
  return fields as Field[];
}

function compare(a: ImageRecord, b: ImageRecord, field: Field): number {
  switch (field) {
    case 'id':
      return a.id.localeCompare(b.id);
    case 'name':
      return a.name.localeCompare(b.name);
    case 'importtime':
      return a.importTime - b.importTime;
    case 'lastused':
      return a.lastUsed - b.lastUsed;
    case 'size':
      return a.size - b.size;
    case 'latest':
      return Number(a.latest) - Number(b.latest);
  }
}

function cell(image: ImageRecord, field: Field, full: boolean, now: Date): string {
  switch (field) {
    case 'id':
      return formatImageId(image.id, full);
    case 'name':
      return image.name;
    case 'importtime':
      return full ? formatRktTime(new Date(image.importTime)) : formatAgo(new Date(image.importTime), now);
    case 'lastused':
      return full ? formatRktTime(new Date(image.lastUsed)) : formatAgo(new Date(image.lastUsed), now);
    case 'size':
      return full ? String(image.size) : formatBytes(image.size);
    case 'latest':
      return String(image.latest);
  }
}

export function imageJson(image: ImageRecord) {
  return {
    id: formatImageId(image.id, true),
    name: image.name,
    import_time: new Date(image.importTime).toISOString(),
    last_used: new Date(image.lastUsed).toISOString(),
    size: image.size,
    latest: image.latest,
    source: image.sourceKind,
  };
}

export function registerImageList(image: Command): void {
  addGlobalOptions(
    image
      .command('list')
      .description('List images in the local store')
      .option('--fields <fields>', `comma-separated fields to print: ${FIELDS.join(', ')}`, FIELDS.join(','))
      .option('--sort <fields>', `comma-separated fields to sort by: ${FIELDS.join(', ')}`, 'importtime')
      .option('--order <order>', 'sort order: asc or desc', 'asc')
      .option('--full', 'use long output format (full IDs, absolute times, sizes in bytes)')
      .option('--no-legend', 'suppress the table header')
      .option('--format <format>', 'choose the output format: json, json-pretty'),
    true,
  ).action(async (options: ListOptions, command: Command) => {
    const globals = globalsOf(command);
    const fields = parseFields(options.fields, '--fields');
    const sort = parseFields(options.sort, '--sort');
    if (options.order !== 'asc' && options.order !== 'desc') {
      throw new RktError('usage', 'ERR_IMAGE_LIST_ORDER', `--order: "${options.order}" is not asc or desc`);
    }
    const format = parseOutputFormat(options.format);
    const direction = options.order === 'desc' ? -1 : 1;
    const images = (await listImages(globals.dir)).sort((a, b) => {
      for (const field of sort) {
        const order = compare(a, b, field);
        if (order !== 0) return order * direction;
      }
      return 0;
    });
    if (format !== 'table') {
      process.stdout.write(renderJson(images.map(imageJson), format));
      return;
    }
    const now = new Date();
    const rows = images.map((img) => fields.map((field) => cell(img, field, options.full ?? false, now)));
    process.stdout.write(renderTable(fields.map((f) => LEGEND[f]), rows, options.legend));
  });
}
