const fastify = require('fastify')();

function landingFor(request) {
  return request.query.landing;
}

fastify.get('/go', async (request, reply) => {
  return reply.redirect(302, landingFor(request)); // tavo-label: vuln open-redirect
});

fastify.get('/go-home', async (request, reply) => {
  const page = request.query.page === 'docs' ? '/docs' : '/';
  return reply.redirect(page, 303); // tavo-label: safe open-redirect
});

fastify.listen({ port: 3000 });
