import type { Product } from './product.entity.js';

/** The catalogue every instance starts with (inserted only where missing). */
export const PRODUCT_SEED: readonly Product[] = [
  { id: 1, name: 'Espresso beans, 1 kg', price: 24.9, stock: 40 },
  { id: 2, name: 'Filter coffee, 500 g', price: 11.5, stock: 65 },
  { id: 3, name: 'Ceramic pour-over dripper', price: 29, stock: 12 },
  { id: 4, name: 'Paper filters, 100 pack', price: 5.2, stock: 200 },
  { id: 5, name: 'Burr grinder', price: 139, stock: 7 },
  { id: 6, name: 'Gooseneck kettle', price: 59.9, stock: 15 },
  { id: 7, name: 'Digital scale', price: 34.5, stock: 22 },
  { id: 8, name: 'French press, 1 l', price: 32, stock: 18 },
  { id: 9, name: 'Milk frothing jug', price: 17.8, stock: 30 },
  { id: 10, name: 'Double-wall glass cup', price: 9.9, stock: 80 },
  { id: 11, name: 'Tamper, 58 mm', price: 27.5, stock: 14 },
  { id: 12, name: 'Knock box', price: 21, stock: 9 },
  { id: 13, name: 'Descaling tablets', price: 8.4, stock: 120 },
  { id: 14, name: 'Cold brew bottle', price: 26, stock: 25 },
  { id: 15, name: 'Moka pot, 6 cups', price: 38.9, stock: 11 },
  { id: 16, name: 'Travel mug', price: 19.5, stock: 44 },
  { id: 17, name: 'Green tea, 250 g', price: 13.9, stock: 33 },
  { id: 18, name: 'Chai spice blend', price: 7.6, stock: 52 },
  { id: 19, name: 'Hot chocolate, 400 g', price: 9.3, stock: 47 },
  { id: 20, name: 'Barista apron', price: 45, stock: 6 },
];
