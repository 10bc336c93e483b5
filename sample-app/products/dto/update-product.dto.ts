import type { CreateProductDto } from './create-product.dto.js';
import { productSchema } from './product-schema.js';

/** Any of the product's fields; at least one. */
export type UpdateProductDto = Partial<CreateProductDto>;

export const updateProductSchema = productSchema<UpdateProductDto>(false);
