import {
  Body,
  Controller,
  Get,
  Param,
  ParseIntPipe,
  Post,
  Put,
  StandardSchemaValidationPipe,
  UseInterceptors,
} from '@nestjs/common';
import { CacheStatusInterceptor } from '../request-context/cache-status.interceptor.js';
import { createProductSchema, type CreateProductDto } from './dto/create-product.dto.js';
import { updateProductSchema, type UpdateProductDto } from './dto/update-product.dto.js';
import type { Product } from './product.entity.js';
import { ProductsService } from './products.service.js';

const validate = new StandardSchemaValidationPipe();

@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @UseInterceptors(CacheStatusInterceptor)
  findAll(): Promise<Product[]> {
    return this.products.findAll();
  }

  @Get(':id')
  @UseInterceptors(CacheStatusInterceptor)
  findOne(@Param('id', ParseIntPipe) id: number): Promise<Product> {
    return this.products.findOne(id);
  }

  @Post()
  create(
    @Body({ schema: createProductSchema, pipes: [validate] }) dto: CreateProductDto,
  ): Promise<Product> {
    return this.products.create(dto);
  }

  @Put(':id')
  update(
    @Param('id', ParseIntPipe) id: number,
    @Body({ schema: updateProductSchema, pipes: [validate] }) dto: UpdateProductDto,
  ): Promise<Product> {
    return this.products.update(id, dto);
  }
}
