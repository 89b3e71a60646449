import type { NextFunction, Request, Response } from 'express';

export function visitor(req: Request, res: Response, next: NextFunction) {
  res.locals.greetingName = req.get('X-Display-Name') ?? 'guest';
  res.locals.storeName = 'Orders';
  next();
}
