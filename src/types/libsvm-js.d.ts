// Minimal typings for libsvm-js (the mljs emscripten build of libsvm), as the project uses it.
declare module 'libsvm-js/asm.js' {
  interface SvmOptions {
    type?: number;
    kernel?: number;
    cost?: number;
    gamma?: number;
    probabilityEstimates?: boolean;
    quiet?: boolean;
    shrinking?: boolean;
    tolerance?: number;
  }
  interface ProbabilityPrediction {
    prediction: number;
    estimates: { label: number; probability: number }[];
  }
  class SVM {
    constructor(options?: SvmOptions);
    static SVM_TYPES: { C_SVC: number; NU_SVC: number; ONE_CLASS: number; EPSILON_SVR: number; NU_SVR: number };
    static KERNEL_TYPES: { LINEAR: number; POLYNOMIAL: number; RBF: number; SIGMOID: number };
    static load(serialized: string): SVM;
    train(samples: number[][], labels: number[]): void;
    predict(samples: number[][]): number[];
    predictOne(sample: number[]): number;
    predictProbability(samples: number[][]): ProbabilityPrediction[];
    serializeModel(): string;
    getLabels(): number[];
    free(): void;
  }
  export default SVM;
}
