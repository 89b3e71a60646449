import type { NextApiRequest, NextApiResponse } from 'next';

export default function handler(req: NextApiRequest, res: NextApiResponse) {
  res.redirect(307, req.query.to as string); // tavo-label: vuln open-redirect
}
