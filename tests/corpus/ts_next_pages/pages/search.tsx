import type { GetServerSideProps } from 'next';
import { productsIn } from '../lib/db';

export const getServerSideProps: GetServerSideProps = async ({ query }) => {
  const products = await productsIn(String(query.category ?? ''));
  return { props: { products, term: query.q ?? '' } };
};

export default function Search({ term }: { term: string }) {
  return <div dangerouslySetInnerHTML={{ __html: `Results for ${term}` }} />; // tavo-label: vuln xss
}
