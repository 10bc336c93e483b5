import { Injectable, NotFoundException } from '@nestjs/common';
import { Cacheable, CacheEvict } from 'nestjs-distributed-cache';
import { PRICE_LIST_KEY } from './price-list.controller.js';
import type { CreateProductDto } from './dto/create-product.dto.js';
import type { UpdateProductDto } from './dto/update-product.dto.js';
import type { Product } from './product.entity.js';
import { ProductsRepository } from './products.repository.js';

/** Every cached product list carries this tag; any change to the catalogue invalidates it. */
export const PRODUCTS_TAG = 'products';

export const productKey = (id: number): string => `product:${id}`;

/**
 * The catalogue, cache-aside. One product lives under `product:<id>` and is evicted when it
 * changes; the list lives under `products:all`, tagged `products`, and is invalidated by any create
 * or update, as is the price list response (`PRICE_LIST_KEY`). Single products are deliberately
 * not tagged `products`: creating a product must not throw every cached product away.
 */
@Injectable()
export class ProductsService {
  constructor(private readonly products: ProductsRepository) {}

  @Cacheable({ key: 'products:all', tags: [PRODUCTS_TAG] })
  findAll(): Promise<Product[]> {
    return this.products.findAll();
  }

  /** A missing product rejects with 404, and a rejection is never cached. */
  @Cacheable({ key: (id: number) => productKey(id) })
  async findOne(id: number): Promise<Product> {
    return found(id, await this.products.findOne(id));
  }

  @CacheEvict({ keys: [PRICE_LIST_KEY], tags: [PRODUCTS_TAG] })
  create(dto: CreateProductDto): Promise<Product> {
    return this.products.create(dto);
  }

  @CacheEvict({ key: (id: number) => productKey(id), keys: [PRICE_LIST_KEY], tags: [PRODUCTS_TAG] })
  async update(id: number, dto: UpdateProductDto): Promise<Product> {
    return found(id, await this.products.update(id, dto));
  }
}

function found(id: number, product: Product | undefined): Product {
  if (!product) throw new NotFoundException(`Product ${id} does not exist`);
  return product;
}
