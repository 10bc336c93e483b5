import { Controller, Get, UseInterceptors } from '@nestjs/common';
import { CacheInterceptor, CacheKey, CacheTTL } from 'nestjs-distributed-cache';
import { ProductsRepository } from './products.repository.js';

/** The key of the cached price list, evicted by `ProductsService` when the catalogue changes. */
export const PRICE_LIST_KEY = 'price-list';

export interface PriceListEntry {
  id: number;
  name: string;
  price: number;
}

/**
 * The price list, a whole HTTP response cached by `CacheInterceptor` (the way
 * `@nestjs/cache-manager` users cache): it sets `X-Cache` itself.
 */
@Controller('price-list')
@UseInterceptors(CacheInterceptor)
export class PriceListController {
  constructor(private readonly products: ProductsRepository) {}

  @Get()
  @CacheKey(PRICE_LIST_KEY)
  @CacheTTL('1m')
  async priceList(): Promise<PriceListEntry[]> {
    const products = await this.products.findAll();
    return products.map(({ id, name, price }) => ({ id, name, price }));
  }
}
