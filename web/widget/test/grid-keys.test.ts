// The review grid's keyboard model (gridMove) and when closing asks first
// (closeLoses), apart from the DOM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gridMove } from "../src/grid/grid.ts";
import { closeLoses } from "../src/app/chrome.ts";
import { newState } from "../src/app/state.ts";

test("arrow keys, Home/End, Ctrl+Home/End and PageUp/PageDown over the virtual rows", () => {
  const total = 1_000_000;
  const move = (key: string, pos: number, col: number, ctrl = false) => gridMove(key, ctrl, pos, col, total, 5, 15);
  assert.deepEqual(move("ArrowDown", 0, 2), { pos: 1, col: 2 });
  assert.deepEqual(move("ArrowUp", 0, 2), { pos: 0, col: 2 }, "stops at the first row");
  assert.deepEqual(move("ArrowLeft", 3, 0), { pos: 3, col: -1 }, "the row's checkbox is the first cell");
  assert.deepEqual(move("ArrowLeft", 3, -1), { pos: 3, col: -1 });
  assert.deepEqual(move("ArrowRight", 3, 4), { pos: 3, col: 4 }, "stops at the last column");
  assert.deepEqual(move("PageDown", 10, 1), { pos: 25, col: 1 });
  assert.deepEqual(move("PageDown", total - 3, 1), { pos: total - 1, col: 1 });
  assert.deepEqual(move("PageUp", 10, 1), { pos: 0, col: 1 });
  assert.deepEqual(move("Home", 7, 3), { pos: 7, col: -1 });
  assert.deepEqual(move("End", 7, 0), { pos: 7, col: 4 });
  assert.deepEqual(move("Home", 7, 3, true), { pos: 0, col: -1 });
  assert.deepEqual(move("End", 7, 0, true), { pos: total - 1, col: 4 });
  assert.equal(move("Enter", 7, 0), null);
});

test("closing asks while rows are sent or after edits, not after the import", () => {
  const state = newState("en");
  assert.equal(closeLoses(state), null);
  state.summary.modified = true;
  assert.equal(closeLoses(state), "confirm_close_edits");
  state.sending = true;
  assert.equal(closeLoses(state), "confirm_close_sending");
  state.sending = false;
  state.completed = true;
  assert.equal(closeLoses(state), null);
});
