import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DatabaseService, type Connection } from '../database/database.service.js';
import type { CreateProductDto } from './dto/create-product.dto.js';
import type { UpdateProductDto } from './dto/update-product.dto.js';
import { PRODUCT_SEED } from './product-seed.js';
import type { Product } from './product.entity.js';

const COLUMNS = 'id, name, price, stock';

/** The products table. Knows SQL, nothing about caching. */
@Injectable()
export class ProductsRepository implements OnModuleInit {
  constructor(private readonly database: DatabaseService) {}

  onModuleInit(): void {
    this.database.setup((connection) => {
      createTable(connection);
      seed(connection);
    });
  }

  findAll(): Promise<Product[]> {
    return this.database.query(
      (connection) =>
        connection.prepare(`SELECT ${COLUMNS} FROM products ORDER BY id`).all() as Product[],
    );
  }

  findOne(id: number): Promise<Product | undefined> {
    return this.database.query(
      (connection) =>
        connection.prepare(`SELECT ${COLUMNS} FROM products WHERE id = ?`).get(id) as
          Product | undefined,
    );
  }

  create(dto: CreateProductDto): Promise<Product> {
    return this.database.query(
      (connection) =>
        connection
          .prepare(
            `INSERT INTO products (name, price, stock) VALUES (@name, @price, @stock) RETURNING ${COLUMNS}`,
          )
          .get(dto) as Product,
    );
  }

  /** The updated product, or `undefined` when there is none with that id. */
  update(id: number, dto: UpdateProductDto): Promise<Product | undefined> {
    const changes = { id, name: null, price: null, stock: null, ...dto };
    return this.database.query(
      (connection) =>
        connection
          .prepare(
            `UPDATE products SET name = coalesce(@name, name), price = coalesce(@price, price),
               stock = coalesce(@stock, stock) WHERE id = @id RETURNING ${COLUMNS}`,
          )
          .get(changes) as Product | undefined,
    );
  }
}

function createTable(connection: Connection): void {
  connection.exec(`CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    price REAL NOT NULL,
    stock INTEGER NOT NULL
  )`);
}

function seed(connection: Connection): void {
  const insert = connection.prepare(
    'INSERT OR IGNORE INTO products (id, name, price, stock) VALUES (@id, @name, @price, @stock)',
  );
  for (const product of PRODUCT_SEED) insert.run(product);
}
