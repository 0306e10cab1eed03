/// <reference types="vite/client" />
// Types of the build-time module that carries grammar/'s word lists into the page.

declare module 'virtual:attn-grammar' {
  export interface BuiltinDoc {
    name: string;
    /** `window(left, right = 0)` */
    signature: string;
    /** One line: what it computes. */
    doc: string;
    kind: 'mask' | 'function' | 'initialiser';
  }
  const grammar: {
    keywords: string[];
    typeNames: string[];
    atoms: string[];
    builtinMasks: string[];
    builtinFunctions: string[];
    positionVariables: string[];
    sizeNames: string[];
    requirements: string[];
    punctuation: string[];
    builtinDocs: BuiltinDoc[];
  };
  export default grammar;
}
