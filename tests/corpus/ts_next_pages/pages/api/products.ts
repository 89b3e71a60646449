import type { NextApiRequest, NextApiResponse } from 'next';
import { productsIn, productsInSafe } from '../../lib/db';

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  const category = req.query.category as string;
  if (req.query.safe) {
    return res.status(200).json(await productsInSafe(category));
  }
  res.status(200).json(await productsIn(category));
}
