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
    /** grammar/highlight.ts's HIGHLIGHT: token classes by word, and patterns (JS regex source). */
    highlight: {
      keywords: string[];
      operatorWords: string[];
      constants: string[];
      types: string[];
      builtinFunctions: string[];
      builtinMasks: string[];
      variables: string[];
      sizes: string[];
      requirements: string[];
      patterns: { comment: string; string: string; float: string; int: string; operator: string };
    };
    /** grammar/tokens.ts's word lists, for completion. */
    keywords: string[];
    builtinMasks: string[];
    builtinFunctions: string[];
    positionVariables: string[];
    sizeNames: string[];
    requirements: string[];
    builtinDocs: BuiltinDoc[];
  };
  export default grammar;
}
