/**
 * Ops as Tensor methods, for chaining: `x.matmul(w).add(b).relu()`.
 * Each method is the function of the same name in ops/; this file only wires them.
 */
import type { DType } from '../backend/contract.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import * as a from './arithmetic.js';
import * as act from './activation.js';
import { matmul } from './matmul.js';
import * as r from './reduce.js';
import * as s from './shape.js';

type T = a.TensorLike;

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(other: T): Tensor;
    sub(other: T): Tensor;
    mul(other: T): Tensor;
    div(other: T): Tensor;
    pow(other: T): Tensor;
    maximum(other: T): Tensor;
    minimum(other: T): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    cast(dtype: DType): Tensor;
    matmul(other: Tensor): Tensor;
    sum(axes?: r.Axes, keepDims?: boolean): Tensor;
    mean(axes?: r.Axes, keepDims?: boolean): Tensor;
    max(axes?: r.Axes, keepDims?: boolean): Tensor;
    min(axes?: r.Axes, keepDims?: boolean): Tensor;
    argmax(axis?: number, keepDims?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    flatten(startAxis?: number): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    slice(begin: readonly number[], size?: readonly number[]): Tensor;
    gather(indices: Tensor | readonly number[], axis?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}

const p = Tensor.prototype;
p.add = function (o) {
  return a.add(this, o);
};
p.sub = function (o) {
  return a.sub(this, o);
};
p.mul = function (o) {
  return a.mul(this, o);
};
p.div = function (o) {
  return a.div(this, o);
};
p.pow = function (o) {
  return a.pow(this, o);
};
p.maximum = function (o) {
  return a.maximum(this, o);
};
p.minimum = function (o) {
  return a.minimum(this, o);
};
p.neg = function () {
  return a.neg(this);
};
p.exp = function () {
  return a.exp(this);
};
p.log = function () {
  return a.log(this);
};
p.sqrt = function () {
  return a.sqrt(this);
};
p.abs = function () {
  return a.abs(this);
};
p.square = function () {
  return a.square(this);
};
p.clamp = function (min, max) {
  return a.clamp(this, min, max);
};
p.cast = function (dtype) {
  return a.cast(this, dtype);
};
p.matmul = function (o) {
  return matmul(this, o);
};
p.sum = function (axes, keepDims) {
  return r.sum(this, axes, keepDims);
};
p.mean = function (axes, keepDims) {
  return r.mean(this, axes, keepDims);
};
p.max = function (axes, keepDims) {
  return r.max(this, axes, keepDims);
};
p.min = function (axes, keepDims) {
  return r.min(this, axes, keepDims);
};
p.argmax = function (axis, keepDims) {
  return r.argmax(this, axis, keepDims);
};
p.reshape = function (shape) {
  return s.reshape(this, shape);
};
p.flatten = function (startAxis) {
  return s.flatten(this, startAxis);
};
p.transpose = function (axis0, axis1) {
  return s.transpose(this, axis0, axis1);
};
p.permute = function (perm) {
  return s.permute(this, perm);
};
p.slice = function (begin, size) {
  return s.slice(this, begin, size);
};
p.gather = function (indices, axis) {
  return s.gather(this, indices, axis);
};
p.sigmoid = function () {
  return act.sigmoid(this);
};
p.tanh = function () {
  return act.tanh(this);
};
p.relu = function () {
  return act.relu(this);
};
p.softmax = function (axis) {
  return act.softmax(this, axis);
};
p.logSoftmax = function (axis) {
  return act.logSoftmax(this, axis);
};
