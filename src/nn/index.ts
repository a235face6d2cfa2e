/** The nn layer's public surface: modules, layers, initialisers, state-dict loading. */
export { Module } from './module.js';
export { Conv2d, type Conv2dConfig } from './conv2d.js';
export { BatchNorm, type BatchNormConfig } from './batch-norm.js';
export { foldBatchNorm } from './fold-batch-norm.js';
export { Linear } from './linear.js';
export { PReLU } from './prelu.js';
export { Sequential, type Layer } from './sequential.js';
export { loadStateDict, describeProblems, type LoadReport, type LoadOptions } from './state-dict.js';
export { fans, defaultWeightInit, defaultBiasInit, xavierUniform, kaimingNormal, normalInit, constantInit } from './init.js';
