export interface Product {
  id: number;
  name: string;
  /** Price in the shop's currency, two decimals. */
  price: number;
  stock: number;
}
