/**
 * Generates labextension/wire.ts, the TypeScript types of the REST API, from
 * the JSON schema the server is tested against
 * (jupyter_branch/rest-api.schema.json), with json-schema-to-typescript.
 *
 *   jlpm build:wire                      rewrite labextension/wire.ts
 *   node scripts/wire-types.js --stdout  print it instead
 *
 * labextension/__tests__/wire.spec.ts fails when the committed file is not
 * what this generates, so the types cannot drift from the schema.
 *
 * Every `$defs` entry becomes a named type: `I` + PascalCase for objects (house
 * style for interfaces), PascalCase for enums and arrays, or a name from NAMES
 * below. Scalar defs (ids, times, counts) are written inline: `string` reads
 * better than an alias. Objects list exactly their properties: what the server
 * may add beyond them is not part of the contract, unless the schema says
 * `additionalProperties: true` (metadata, outputs).
 */

'use strict';

const fs = require('fs');
const path = require('path');
const prettier = require('prettier');
const { compile } = require('json-schema-to-typescript');

const ROOT = path.resolve(__dirname, '..');
const SCHEMA = path.join(ROOT, 'jupyter_branch', 'rest-api.schema.json');
const OUTPUT = path.join(ROOT, 'labextension', 'wire.ts');

/** TypeScript names that are not the default one for their def. */
const NAMES = {
  cell: 'IStateCell',
  document: 'IDocumentReply',
  document_request: 'IDocumentReport',
  error: 'IErrorReply',
  event: 'StateEvent',
  export_post: 'IExportReply',
  label: 'ILabelReply',
  restore: 'IRestoreReply',
  search: 'ISearchReply',
  state_summary: 'IState'
};

/** The root type, generated only to be dropped (the defs are the types). */
const ROOT_NAME = 'IWireRoot';

const HEADER = `/**
 * The wire format of the jupyter-branch REST API, as TypeScript types.
 *
 * Generated from jupyter_branch/rest-api.schema.json by
 * scripts/wire-types.js: do not edit, run \`jlpm build:wire\`.
 */`;

function pascal(name) {
  return name
    .split('_')
    .map(part => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function isScalar(def, defs) {
  if (['string', 'integer', 'number', 'boolean'].includes(def.type)) {
    return !def.enum;
  }
  if (def.anyOf) {
    return def.anyOf.every(part =>
      part.$ref
        ? isScalar(defs[refName(part.$ref)], defs)
        : part.type === 'null' || isScalar(part, defs)
    );
  }
  return false;
}

function refName(ref) {
  const prefix = '#/$defs/';
  if (!ref.startsWith(prefix)) {
    throw new Error(`only local $defs references are supported: ${ref}`);
  }
  return ref.slice(prefix.length);
}

/** The TypeScript name of a def. */
function typeName(key, def) {
  if (NAMES[key]) {
    return NAMES[key];
  }
  const isObject = def.type === 'object' || def.allOf !== undefined;
  return isObject ? `I${pascal(key)}` : pascal(key);
}

/**
 * A copy of `node` with references to scalar defs replaced by the def itself
 * (without its description: the property says what it is), and references
 * with a description of their own made plain type names.
 */
function inlineScalars(node, defs, scalars) {
  if (Array.isArray(node)) {
    return node.map(item => inlineScalars(item, defs, scalars));
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  if (typeof node.$ref === 'string' && scalars.has(refName(node.$ref))) {
    const { description, $ref, ...rest } = node;
    const target = { ...defs[refName($ref)] };
    delete target.description;
    const inlined = inlineScalars({ ...target, ...rest }, defs, scalars);
    return description ? { ...inlined, description } : inlined;
  }
  if (typeof node.$ref === 'string' && Object.keys(node).length > 1) {
    // A reference with a description of its own: the generator would make a
    // new type of it; name the def's type instead and keep the description.
    const { $ref, ...rest } = node;
    const key = refName($ref);
    return { ...rest, tsType: typeName(key, defs[key]) };
  }
  const copy = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] = inlineScalars(value, defs, scalars);
  }
  return copy;
}

/**
 * The content of labextension/wire.ts for the schema at `schemaPath`.
 */
async function generateWire(schemaPath = SCHEMA) {
  const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf-8'));
  const defs = schema.$defs;
  const scalars = new Set(
    Object.keys(defs).filter(key => isScalar(defs[key], defs))
  );
  const kept = {};
  for (const [key, def] of Object.entries(defs)) {
    if (!scalars.has(key)) {
      // The generator names a type by its title.
      const title = typeName(key, def);
      kept[key] = { ...inlineScalars(def, defs, scalars), title };
    }
  }
  const root = { title: ROOT_NAME, type: 'object', $defs: kept };
  let code = await compile(root, ROOT_NAME, {
    additionalProperties: false,
    bannerComment: '',
    format: false,
    unknownAny: true,
    unreachableDefinitions: true
  });
  const rootDecl = new RegExp(`export interface ${ROOT_NAME} \\{\\s*\\}\\n`);
  if (!rootDecl.test(code)) {
    throw new Error(`the generated code has no empty ${ROOT_NAME} to drop`);
  }
  code = code.replace(rootDecl, '');
  // Say where each type comes from in the schema's own words.
  code = code.replace(
    /This interface was referenced by `\w+`'s JSON-Schema\n \* via the `definition` "(\w+)"\./g,
    'Schema: `#/$defs/$1`.'
  );
  // One blank line between declarations, then the project's prettier style.
  code = code.replace(/\n\/\*\*/g, '\n\n/**');
  const options = (await prettier.resolveConfig(OUTPUT)) ?? {};
  return prettier.format(`${HEADER}\n\n${code}`, {
    ...options,
    parser: 'typescript'
  });
}

module.exports = { generateWire, OUTPUT, SCHEMA };

if (require.main === module) {
  generateWire()
    .then(code => {
      if (process.argv.includes('--stdout')) {
        process.stdout.write(code);
      } else {
        fs.writeFileSync(OUTPUT, code);
        console.log(`wrote ${path.relative(ROOT, OUTPUT)}`);
      }
    })
    .catch(error => {
      console.error(error);
      process.exit(1);
    });
}
