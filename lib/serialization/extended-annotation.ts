/**
 * Where the extended form records types beside the JSON: a type name for the value at this place,
 * an object naming the annotated children of an object or array, or `[type, children]` for a Map
 * (children of its `[key, value]` entries) or a Set (children of its values).
 */
export type Annotation = string | AnnotationTree | [string, AnnotationTree];

export interface AnnotationTree {
  [key: string]: Annotation;
}

/** First character of a stored value in the extended form; a JSON text never starts with it. */
export const EXTENDED_MARK = 'X';
