(function(){
var tip=document.getElementById('tip');
function hide(){tip.hidden=true;}
document.addEventListener('mousemove',function(e){
var el=e.target&&e.target.closest?e.target.closest('[data-tip]'):null;
if(!el){hide();return;}
tip.textContent=el.getAttribute('data-tip');tip.hidden=false;
var x=e.clientX+14,y=e.clientY+14,w=tip.offsetWidth,h=tip.offsetHeight;
if(x+w>window.innerWidth-8)x=e.clientX-w-14;
if(y+h>window.innerHeight-8)y=e.clientY-h-14;
tip.style.left=Math.max(4,x)+'px';tip.style.top=Math.max(4,y)+'px';
});
document.addEventListener('mouseleave',hide);
window.addEventListener('scroll',hide,{passive:true});
})();
