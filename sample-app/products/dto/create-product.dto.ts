import { productSchema } from './product-schema.js';

export interface CreateProductDto {
  name: string;
  price: number;
  stock: number;
}

export const createProductSchema = productSchema<CreateProductDto>(true);
