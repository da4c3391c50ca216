import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTable } from './table.js';

const HEADER = ['UUID', 'APP', 'STATE'];

describe('renderTable', () => {
  it('prints a legend, then rows, columns aligned two spaces apart', () => {
    const text = renderTable(HEADER, [['a1b2', 'web', 'running'], ['c3', 'database', 'exited']], true);
    assert.equal(text, ['UUID  APP       STATE', 'a1b2  web       running', 'c3    database  exited', ''].join('\n'));
  });

  it('sizes columns to the widest cell, the legend included', () => {
    const text = renderTable(['IDENTIFIER', 'X'], [['a', 'b']], true);
    assert.equal(text, 'IDENTIFIER  X\na           b\n');
  });

  it('without the legend, prints the rows only and sizes columns by the rows alone', () => {
    const text = renderTable(['IDENTIFIER', 'X'], [['a', 'b'], ['abc', 'd']], false);
    assert.equal(text, 'a    b\nabc  d\n');
    assert.doesNotMatch(text, /IDENTIFIER/);
  });

  it('never pads the last column, nor leaves trailing blanks after an empty last cell', () => {
    const text = renderTable(HEADER, [['a', 'b', ''], ['long-uuid', 'b', 'x']], true);
    for (const line of text.split('\n')) assert.equal(line, line.trimEnd(), JSON.stringify(line));
    assert.equal(text, 'UUID       APP  STATE\na          b\nlong-uuid  b    x\n');
  });

  it('prints only the legend when there are no rows', () => {
    assert.equal(renderTable(HEADER, [], true), 'UUID  APP  STATE\n');
  });

  it('prints nothing at all with no rows and no legend', () => {
    assert.equal(renderTable(HEADER, [], false), '');
  });
});
